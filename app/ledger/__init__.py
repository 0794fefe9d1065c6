"""Training ledger (培训台账): who read which lesson, took which quiz, got which certificate, when."""

"""Referrals: invite codes, the mentor tree (materialized path), earning tiers."""

"""Practice with feedback: customer role-play scenarios played as a chat."""

"""Customer and staff accounts: sign-up, sign-in, profile, and the customer's data rights."""

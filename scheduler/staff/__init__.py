"""Staff: accounts, signing in, administration, and the console's permission policy."""

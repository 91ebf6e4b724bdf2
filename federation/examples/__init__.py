"""Small, complete programs a member library can start from."""

"""The workshop page: `flowsim serve`, its JSON interface and its static files."""

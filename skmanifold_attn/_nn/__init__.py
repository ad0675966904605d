"""Private numpy neural-network core shared by attention and VAE estimators."""

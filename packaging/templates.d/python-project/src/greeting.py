def greet(name: str) -> str:
    """Return a friendly greeting for name."""
    return f"Hello, {name}!"

"""A reader's own data: erasing an inbox for good, and the document of everything we hold."""

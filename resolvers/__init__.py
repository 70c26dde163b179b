"""What each field and mutation does; DataLoaders derived from db's type-to-table mapping."""

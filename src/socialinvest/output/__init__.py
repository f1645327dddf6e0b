"""Everything that turns a Result into text for people or files for machines."""

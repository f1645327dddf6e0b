"""Reports of a business case: HTML, PDF and XLSX in Danish or English, with charts."""

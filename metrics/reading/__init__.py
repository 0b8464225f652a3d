"""Files in, records out: sniffing and reading workbooks, finding tables, turning cells into records, checks, places
and units."""

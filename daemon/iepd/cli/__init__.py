"""The command line: parsing the arguments, each command, `iepd init`, and the text
of `status` and `timeline`."""

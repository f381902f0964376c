from inspector.start import entry

entry()

"""The face: CLI, `loa run` and the web server. The only part of loa/ that may import flows/ and channels/."""

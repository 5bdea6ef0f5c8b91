"""The paper trail as a person reads it: the timeline of one request and the
export folder."""

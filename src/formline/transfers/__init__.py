"""The transfers domain: players moving between clubs (data model and sources so far; the
models, predictions and the domain's registration come later, see issue 13)."""

"""invgen-myplugin: a template for a forward-model plugin (copy, rename, edit)."""

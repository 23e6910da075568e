"""Files that leave abm-tui: the run's files, one module per destination (CRM, ad platform, warehouse),
the manifest, and the publish step that writes them all."""

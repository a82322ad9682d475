"""The authors' workbench: item analysis over scored attempts."""

"""A small Flask service: logins, previews of links, and an API."""

"""The web console: server-rendered pages in Spanish over the gateway's own HTTP API (docs/console.md)."""

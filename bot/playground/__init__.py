"""The browser playground: the emulator, the real bot and a local page that looks like a Discord channel."""
from bot.playground.cli import add_playground_parser, main_playground, run_playground, serve_playground
from bot.playground.server import Playground

__all__ = ["Playground", "add_playground_parser", "main_playground", "run_playground", "serve_playground"]

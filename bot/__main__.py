"""`python -m bot [run|check|sync]`: one readable line and an exit code on every start-up failure."""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from bot.core.shards import format_ids
from bot.settings import Settings, SettingsError, load_settings

log = logging.getLogger("recall")


LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """Formats the whole record (message, traceback, stack) and then removes the token from all of it.

    A filter sees only the message: the traceback the formatter appends (an exception whose text holds the token,
    e.g. a library echoing a request) would slip through.
    """

    def __init__(self, token: str, fmt: str = LOG_FORMAT) -> None:
        super().__init__(fmt)
        self.token = token

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text.replace(self.token, "[token]") if self.token else text


def setup_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(settings.token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLevelName(settings.log_level)))


async def _run(settings: Settings, *, sync_only: bool = False) -> int:
    import aiohttp
    import discord

    from bot.app import RecallBot

    # Recall never joins voice: discord.py's two "voice will NOT be supported" warnings would only be noise.
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    bot = RecallBot(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with bot:
            await bot.open_store()  # the database before the network: see RecallBot.open_store
            if sync_only:
                bot.sync_on_start = False
                await bot.login(settings.require_token())
                print(await bot.sync_commands(force=True))
                return 0
            runner = asyncio.create_task(bot.start(settings.require_token()))
            waiter = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({runner, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if runner in done:
                runner.result()  # surfaces a login failure
            else:
                log.info("shutting down")
                runner.cancel()
                await asyncio.gather(runner, return_exceptions=True)
            waiter.cancel()
    except discord.LoginFailure:
        print("Discord refused DISCORD_TOKEN. Copy a fresh token from the Developer Portal (Bot → Reset Token) into .env.", file=sys.stderr)
        return 2
    except discord.PrivilegedIntentsRequired:
        print("Discord says the bot asked for a privileged intent it was not granted; see README 'Intents'.", file=sys.stderr)
        return 2
    except discord.ConnectionClosed as exc:
        refusal = _shard_refusal(exc.code, settings)
        if refusal is None:
            raise
        print(f"error: {refusal}", file=sys.stderr)
        return 2
    except (aiohttp.ClientConnectionError, discord.GatewayNotFound, discord.DiscordServerError) as exc:
        # Exit code 1, not 2: nothing is misconfigured for sure, and a supervisor's restart may well succeed.
        where = settings.api_base or "discord.com"
        hint = "Check the network, or DISCORD_API_BASE," if settings.api_base else "Check the network"
        print(f"error: cannot reach Discord's API at {where} ({_one_line(exc)}). {hint} and start Recall again.",
              file=sys.stderr)
        return 1
    return 0


def _shard_refusal(code: int | None, settings: Settings) -> str | None:
    """The line for a gateway close that says the shard settings are wrong (Discord's codes 4010 and 4011)."""
    if code == 4011:
        return ("SHARD_COUNT: Discord requires this bot to shard (gateway close 4011, sharding required: too many "
                "servers for one connection). Set SHARD_COUNT=auto, or a count and each process's SHARD_IDS.")
    if code == 4010:
        ids = format_ids(settings.shard_ids) if settings.shard_ids else "all"
        return (f"SHARD_COUNT={settings.shard_count}, SHARD_IDS={ids}: Discord refused these shards (gateway close "
                "4010, invalid shard). Every process must use the same SHARD_COUNT, with shard ids below it.")
    return None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Recall, a Discord tutor bot.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)")
    check = sub.add_parser("check", help="validate deck files; needs no token")
    check.add_argument("paths", nargs="*", type=Path, help="deck files or folders (default: DECKS_DIR)")
    sub.add_parser("sync", help="register the slash commands with Discord now")
    from bot.exporting import add_export_parser, main_export
    from bot.importing import add_import_parser, main_import
    from bot.migrate_db import add_migrate_parser, main_migrate
    from bot.playground.cli import add_playground_parser, main_playground

    add_import_parser(sub)
    add_export_parser(sub)
    add_migrate_parser(sub)
    add_playground_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "import":
        return main_import(args)
    if args.command == "export":  # reads DECKS_DIR only; needs no token
        return main_export(args)
    if args.command == "migrate-db":  # reads DATABASE_PATH and DATABASE_URL itself; needs no token
        return main_migrate(args)
    if args.command == "playground":  # needs no token: it runs its own local Discord
        return main_playground(args)

    try:
        settings = load_settings(check_paths=args.command in (None, "run", "sync"))
        if args.command == "check":
            from bot.check import run_check

            return run_check(args.paths or [settings.decks_dir], sys.stdout)
        settings.require_token()
        setup_logging(settings)
        return asyncio.run(_run(settings, sync_only=args.command == "sync"))
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # a database Recall cannot use: one line; anything else is a bug and keeps its traceback
        from bot.core.errors import Busy
        from bot.store.db import UnusableDatabase

        if isinstance(exc, UnusableDatabase):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if isinstance(exc, Busy):  # a start-up write (a refiling, the command hash) met another program's lock
            print(f"error: DATABASE_PATH: another program kept {str(settings.database_path)!r} locked; let it finish "
                  "(or stop it) and start Recall again.", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())

"""The use cases, one module per feature: each reads through bot.store, applies bot.core's rules, writes through
bot.store in one transaction and returns plain results (no discord import). Cogs call them; tests can too.

`Services` is built once per bot (in setup_hook) and shared by the cogs as `bot.services`.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot.core.library import DeckLibrary
from bot.services.challenge import ChallengeService
from bot.services.decks import DeckService
from bot.services.explain import ExplainService
from bot.services.languages import LanguageService
from bot.services.export import ExportService
from bot.services.memory import MemoryService
from bot.services.milestones import MilestoneService
from bot.services.progress import ProgressService
from bot.services.quiz import QuizService
from bot.services.reminders import ReminderService
from bot.services.study import StudyService
from bot.settings import Settings
from bot.store.api import Store


@dataclass(frozen=True, slots=True)
class Services:
    study: StudyService
    quiz: QuizService
    explain: ExplainService
    progress: ProgressService
    decks: DeckService
    export: ExportService
    memory: MemoryService
    reminders: ReminderService
    challenge: ChallengeService
    milestones: MilestoneService
    languages: LanguageService

    @classmethod
    def build(cls, db: Store, decks: DeckLibrary, settings: Settings) -> "Services":
        study = StudyService(db, decks)
        # What the study service remembers was worked out with a server's settings: a change makes it forget.
        progress = ProgressService(db, on_settings_change=study.forget)
        # Cards rescheduled by a new memory model: what the study service remembers of their members is stale.
        memory = MemoryService(db, on_reschedule=study.forget)
        return cls(study, QuizService(db), ExplainService(db, decks), progress, DeckService(db, decks, settings),
                   ExportService(db, decks), memory, ReminderService(db, decks), ChallengeService(db, decks),
                   MilestoneService(db, decks), LanguageService(db))

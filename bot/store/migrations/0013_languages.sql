-- Languages (bot.core.translation): the language of what everyone in a server sees (quiz rounds, public cards and
-- boards), chosen with /recall-admin language; NULL follows Discord's server language (guild_locale), else English.
ALTER TABLE guild_settings ADD COLUMN language TEXT;

-- The member's client language when they turned their reminder on: a DM has no interaction to tell it.
ALTER TABLE reminders ADD COLUMN language TEXT;

#!/bin/sh
# List UI strings still missing their Russian translation (after `make messages`).
msgattrib --untranslated --no-obsolete locale/ru/LC_MESSAGES/django.po | grep -A2 '^msgid' | grep -v '^msgid ""$' || true
msgattrib --only-fuzzy --no-obsolete locale/ru/LC_MESSAGES/django.po | grep -A2 '^msgid' || true

"""Helpers of the concurrency tests: open a page as a person would, read the revision its form
carries, post a save from it."""

import re

from django.contrib.messages import get_messages

CONFLICT = "Запись изменена другим пользователем"
OWN_TAB = "Вы изменили эту запись в другой вкладке или окне"
NOT_SAVED = "Ваши изменения не сохранены"

_REVISION = re.compile(r'<input type="hidden" name="(?:[\w-]+-)?base_revision" value="(\d+)"')


def opened_revision(response, index: int = 0) -> str:
    """The revision the page's (index-th) form was opened on, as the hidden field carries it."""
    assert response.status_code == 200, response.status_code
    found = _REVISION.findall(response.content.decode())
    assert found, "the page's form carries no base_revision"
    return found[index]


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def page_text(response) -> str:
    return response.content.decode()

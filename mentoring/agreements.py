"""Partnership agreements («договоры о сетевом взаимодействии») of base sites.

An agreement binds the internship site, the mentor's base site and the trainee's organisation
for a term. Its file is checked by content, kept under a random storage name and served only
through an access-checked view. An agreement whose term has ended is «expired»: lists and the
internships using it show it, and no new internship may rely on it (`assignment.py`). A change
made on a page opened before somebody else's is refused (`concurrency.claim`).
"""

import uuid
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zelenchuk_portal.concurrency import claim
from zelenchuk_portal.files import DOCX, JPEG, ODT, PDF, PNG, check_upload, safe_name
from zelenchuk_portal.models import Organization

from .models import Agreement, BaseSite

# What an agreement's file may be: a PDF, a Word or OpenDocument text, or a scan as an image.
AGREEMENT_KINDS = (PDF, DOCX, ODT, JPEG, PNG)


@dataclass
class AgreementData:
    number: str
    signed_on: date
    valid_from: date
    valid_until: date
    base_site: BaseSite
    host_organization: Organization
    trainee_organization: Organization
    other_parties: str = ""


def _d(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def _errors(data: AgreementData, upload) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.number.strip():
        errors["number"] = [_("Enter the agreement's number.")]
    if data.valid_from and data.valid_until and data.valid_until < data.valid_from:
        errors["valid_until"] = [
            _("The term ends (%(end)s) before it starts (%(start)s).")
            % {"end": _d(data.valid_until), "start": _d(data.valid_from)}
        ]
    if upload is not None:
        try:
            check_upload(upload, kinds=AGREEMENT_KINDS)
        except ValidationError as error:
            errors["file"] = error.messages
    return errors


def save_agreement(
    agreement: Agreement | None,
    data: AgreementData,
    *,
    upload=None,
    by=None,
    revision: int | None = None,
) -> Agreement:
    """Create an agreement (`agreement` None) or change one; `upload` replaces its file.
    Validates everything first and writes nothing on error — nor when the agreement changed
    after `revision`, the revision of the page the change was made on (`ConflictError`)."""
    errors = _errors(data, upload)
    if errors:
        raise ValidationError(errors)
    agreement = agreement or Agreement()
    old_file = agreement.file.name if agreement.file else ""
    with transaction.atomic():
        claim(agreement, revision, by)  # before the file is stored: a refused save stores none
        for name, value in vars(data).items():
            setattr(agreement, name, value.strip() if isinstance(value, str) else value)
        if upload is not None:
            kind = check_upload(upload, kinds=AGREEMENT_KINDS)
            agreement.file_name = safe_name(upload.name, kind)
            # A random storage name: the uploaded name is only ever shown, never used as a path.
            agreement.file.save(f"{uuid.uuid4().hex}.{kind.extension}", upload, save=False)
        agreement.save()
    if upload is not None and old_file:
        agreement.file.storage.delete(old_file)
    return agreement


def expired(agreements: QuerySet[Agreement], today: date | None = None) -> QuerySet[Agreement]:
    return agreements.filter(valid_until__lt=today or timezone.localdate())

"""The internship as a PDF document: the technological map, each trainee's diary with the total
hours, the matrix of competencies and management decisions and the final materials.

The document reads the same `build_internship_document` as the internship page. Its wording is
an official Russian document's (as the development plan's PDF), whatever the language of the
pages, so the labels of stages, forms, activities and statuses are given here in Russian.
"""

from zelenchuk_portal.pdf import render_pdf

from .internships import build_internship_document
from .models import Activity, Assignment, Form, Internship, Stage

DOCUMENT_STAGE = {
    Stage.PRELIMINARY: "предварительный этап",
    Stage.MAIN: "основной этап",
    Stage.FINAL: "заключительный этап",
    Stage.COMPLETED: "завершена",
}
DOCUMENT_FORM = {
    Form.IN_PERSON: "очная",
    Form.REMOTE: "дистанционная",
    Form.GROUP: "групповая",
    Form.INDIVIDUAL: "индивидуальная",
}
DOCUMENT_ACTIVITY = {
    Activity.OBSERVATION: "наблюдение",
    Activity.JOINT_WORK: "совместная работа",
    Activity.MEETING: "совещание",
    Activity.DOCUMENT: "подготовка документа",
    Activity.CONSULTATION: "консультация",
    Activity.LESSON_VISIT: "посещение урока, мероприятия",
    Activity.ANALYSIS: "анализ документов",
    Activity.OTHER: "другое",
}
DOCUMENT_STATUS = {
    Assignment.Status.PLANNED: "запланировано",
    Assignment.Status.IN_PROGRESS: "выполняется",
    Assignment.Status.DONE: "выполнено",
}
DOCUMENT_ASSIGNEE = {Assignment.For.MENTOR: "ментор", Assignment.For.TRAINEE: "стажёр"}


def hours_text(minutes: int) -> str:
    """«12 ч 30 мин» in the document's Russian."""
    hours, rest = divmod(int(minutes or 0), 60)
    parts = [f"{hours} ч" if hours else "", f"{rest} мин" if rest else ""]
    return " ".join(p for p in parts if p) or "0 ч"


def internship_filename(internship: Internship) -> str:
    return f"Стажировка № {internship.pk} — {internship.mentor.short_name}.pdf"


def render_internship_pdf(internship: Internship, *, trainees=None, request=None) -> bytes:
    """The internship's PDF; `trainees` narrows the trainees' sections (all by default)."""
    doc = build_internship_document(internship, trainees=trainees)
    context = {
        "doc": doc,
        "stage_label": DOCUMENT_STAGE.get(internship.stage, internship.stage),
        "form_label": DOCUMENT_FORM.get(internship.form, internship.form),
        "activities": DOCUMENT_ACTIVITY,
        "statuses": DOCUMENT_STATUS,
        "assignees": DOCUMENT_ASSIGNEE,
        "total_hours": hours_text(doc.minutes),
        "hours": {block.trainee.pk: hours_text(block.minutes) for block in doc.blocks},
    }
    return render_pdf("mentoring/pdf_internship.html", context, request=request)

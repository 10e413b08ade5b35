"""Turning a service's DomainError into form errors, so the message sits beside its field.

Services check the whole input and raise one DomainError naming every bad field (nothing was
written). A field the form does not show becomes a form-wide error naming it, so no message is
lost.
"""

from django import forms

from core.errors import DomainError


def form_errors_add(*, form: forms.Form, error: DomainError) -> None:
    if not error.fields:
        form.add_error(None, error.message)
        return
    for name, messages in error.fields.items():
        for message in messages if isinstance(messages, list) else [messages]:
            if name in form.fields:
                form.add_error(name, str(message))
            elif name == "non_field_errors":
                form.add_error(None, str(message))
            else:
                form.add_error(None, f"{name}: {message}")

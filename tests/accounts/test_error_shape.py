from django.core.exceptions import ValidationError as DjangoValidationError

from defarm.api.exceptions import exception_handler


def test_django_validation_errors_become_400_in_the_error_shape():
    response = exception_handler(DjangoValidationError("“7a1c” is not a valid UUID."), {})
    assert response.status_code == 400
    assert response.data == {
        "success": False,
        "error": "validation_error",
        "message": "“7a1c” is not a valid UUID.",
        "details": {"non_field_errors": ["“7a1c” is not a valid UUID."]},
    }
    response = exception_handler(DjangoValidationError({"amount": ["Too large."]}), {})
    assert response.data["details"] == {"amount": ["Too large."]}

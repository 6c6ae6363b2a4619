import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """Circuit owners and members become nullable in Django's state only: the columns stay
    NOT NULL as V1 made them, but joins to users are LEFT OUTER, so adopted circuits whose
    owner or member is no user are never hidden. No row changes. Adds an index for finding the
    items a user added to circuits."""

    dependencies = [
        ("circuits", "0002_circuit_join_requests_operation_items"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="circuit",
                    name="owner",
                    field=models.ForeignKey(
                        db_column="owner_id",
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="owned_circuits",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="circuitmember",
                    name="member",
                    field=models.ForeignKey(
                        db_column="member_id",
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="circuit_memberships",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddIndex(
            model_name="circuititem",
            index=models.Index(fields=["added_by"], name="circuit_items_added_by_idx"),
        ),
    ]

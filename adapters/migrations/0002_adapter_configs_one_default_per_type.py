from django.db import migrations, models


def keep_newest_default_per_type(apps, schema_editor):
    """Databases adopted from the earlier engine may hold several defaults of one type: keep
    the most recently updated one."""
    AdapterConfig = apps.get_model("adapters", "AdapterConfig")
    seen = set()
    defaults = AdapterConfig.objects.filter(is_default=True).order_by(
        "adapter_type", "-updated_at_ts", "-created_at_ts", "config_id"
    )
    for config in defaults:
        if config.adapter_type in seen:
            AdapterConfig.objects.filter(pk=config.pk).update(is_default=False)
        seen.add(config.adapter_type)


class Migration(migrations.Migration):
    dependencies = [
        ("adapters", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(keep_newest_default_per_type, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="adapterconfig",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_default", True)),
                fields=("adapter_type",),
                name="adapter_configs_one_default_per_type",
            ),
        ),
    ]

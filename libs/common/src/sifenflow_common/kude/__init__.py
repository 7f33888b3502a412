"""The KuDE renderer (MT v150 §13), shared by the kude service, the mailer and the gateway.

Pure rendering (weasyprint + segno, no network, no database): ``render.render_kude``,
``render.render_many``, ``render.KudeRenderer``, ``render.KudeError``. The kude service package
re-exports these names so older imports (``sifenflow_kude.render``) keep working.
"""

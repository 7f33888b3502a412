"""Document engine facade (``engine.build_document`` / ``validate_document``) and the recibo.

Maps FacturaSend documents onto the SIFEN model of ``sifenflow_common.sifen``. No I/O.
"""

"""quantity and amount CHECK constraints

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-29

The database itself refuses a stock bucket, quantity or amount outside the bounds of oms_tui/limits.py
(the same constraints, by the same names, as models.py declares). The bounds are written out here, not
imported: a migration must build the same schema whatever later code says.

Rows already outside the bounds (a bucket SQLite turned into a float after an overflow) stop the
upgrade with a message naming them, before anything is changed.
"""
from alembic import op
from sqlalchemy import text

from oms_tui.errors import StorageError
from oms_tui.i18n import N_

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

MAX_QUANTITY = 1_000_000_000
MAX_FEN = 1_000_000_000

# table → (column, lowest, highest); a bound may be another column of the row
CHECKS = {
    'sku': [('cost_fen', 0, MAX_FEN), ('price_fen', 0, MAX_FEN)],
    'stocklevel': [(bucket, 0, MAX_QUANTITY) for bucket in ('on_hand', 'inbound', 'locked', 'reserved', 'damaged')],
    'stockreservation': [('qty', 0, MAX_QUANTITY)],
    'order': [(amount, 0, MAX_FEN) for amount in ('total_fen', 'paid_fen', 'discount_fen', 'post_fee_fen')],
    'orderline': [('qty', 1, MAX_QUANTITY), ('price_fen', 0, MAX_FEN), ('locked_qty', 0, 'qty'),
                  ('returned_qty', 0, 'qty')],
    'returnrecord': [('refund_fen', 0, MAX_FEN)],
    'returnline': [('qty', 1, MAX_QUANTITY)],
}


def _condition(column, low, high) -> str:
    return f"{column} >= {low} AND {column} <= {high}"


def _refuse_rows_out_of_bounds(bind) -> None:
    quote = bind.dialect.identifier_preparer.quote
    for table, checks in CHECKS.items():
        for column, low, high in checks:
            rows = bind.execute(text(
                f"SELECT id, {column} FROM {quote(table)} WHERE NOT ({_condition(column, low, high)}) "
                f"ORDER BY id LIMIT 5")).all()
            if rows:
                found = ", ".join(f"{value!r} in row {row_id}" for row_id, value in rows)
                raise StorageError(
                    N_("cannot add the quantity checks: {table}.{column} must be from {low} to {high} but is "
                       "{rows}; correct those rows, then run `oms init` again"),
                    table=table, column=column, low=low, high=high, rows=found)


def upgrade() -> None:
    bind = op.get_bind()
    _refuse_rows_out_of_bounds(bind)
    # On SQLite batch mode copies each table and drops the original; oms_tui.schema runs migrations
    # with foreign keys off for that and checks every reference before the commit.
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, low, high in checks:
                batch_op.create_check_constraint(f'ck_{table}_{column}', _condition(column, low, high))


def downgrade() -> None:
    for table, checks in reversed(CHECKS.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, _low, _high in reversed(checks):
                batch_op.drop_constraint(f'ck_{table}_{column}', type_='check')

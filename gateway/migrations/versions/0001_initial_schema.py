"""initial schema: customers, sites, devices, ingest bookkeeping, incidents, tickets, users

The constraints that keep several workers correct: processed_events keyed by
event_id, one open incident per (device, fault) (a partial unique index on
both backends), one ticket per incident.

Revision ID: 0001
Revises: 
Create Date: 2026-12-01 23:48:48.751769
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table('customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('preferred_channels', JSON_DOCUMENT, nullable=False),
    sa.Column('contact_addresses', JSON_DOCUMENT, nullable=False),
    sa.Column('quiet_hours_start', sa.Time(), nullable=True),
    sa.Column('quiet_hours_end', sa.Time(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(quiet_hours_start IS NULL) = (quiet_hours_end IS NULL)', name=op.f('ck_customers_quiet_hours_both')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers'))
    )
    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('street', sa.String(length=200), nullable=False),
    sa.Column('postal_code', sa.String(length=20), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(latitude IS NULL) = (longitude IS NULL)', name=op.f('ck_sites_location_both')),
    sa.CheckConstraint('latitude BETWEEN -90 AND 90', name=op.f('ck_sites_latitude_range')),
    sa.CheckConstraint('longitude BETWEEN -180 AND 180', name=op.f('ck_sites_longitude_range')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_sites_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites'))
    )
    op.create_index(op.f('ix_sites_customer_id'), 'sites', ['customer_id'], unique=False)
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('role', sa.Enum('admin', 'dispatcher', 'technician', 'customer', name='role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(role = 'customer') = (customer_id IS NOT NULL)", name=op.f('ck_users_customer_iff_customer_role')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_users_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_index(op.f('ix_users_customer_id'), 'users', ['customer_id'], unique=False)
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('length(token_hash) = 64', name=op.f('ck_api_tokens_token_hash_sha256')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_index(op.f('ix_api_tokens_user_id'), 'api_tokens', ['user_id'], unique=False)
    op.create_table('devices',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('refrigerant', sa.String(length=16), nullable=False),
    sa.Column('register_map', sa.String(length=100), nullable=False),
    sa.Column('install_date', sa.Date(), nullable=True),
    sa.Column('nickname', sa.String(length=100), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('online', sa.Boolean(), nullable=True),
    sa.Column('last_status', JSON_DOCUMENT, nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(id) BETWEEN 1 AND 64', name=op.f('ck_devices_id_length')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_devices_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices'))
    )
    op.create_index(op.f('ix_devices_site_id'), 'devices', ['site_id'], unique=False)
    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('fault', sa.String(length=64), nullable=False),
    sa.Column('state', sa.Enum('open', 'closed', name='incident_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('severity', sa.Enum('info', 'warning', 'critical', name='severity', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('confidence', sa.Double(), nullable=False),
    sa.Column('first_event_ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_event_ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event_count', sa.Integer(), nullable=False),
    sa.Column('predicted_failure_ts', sa.DateTime(timezone=True), nullable=True),
    sa.Column('predicted_failure_earliest', sa.DateTime(timezone=True), nullable=True),
    sa.Column('predicted_failure_latest', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('close_reason', sa.String(length=32), nullable=True),
    sa.CheckConstraint("(state = 'open') = (closed_at IS NULL)", name=op.f('ck_incidents_closed_at_iff_closed')),
    sa.CheckConstraint('confidence BETWEEN 0 AND 1', name=op.f('ck_incidents_confidence_range')),
    sa.CheckConstraint('event_count >= 1', name=op.f('ck_incidents_event_count_positive')),
    sa.CheckConstraint('first_event_ts <= last_event_ts', name=op.f('ck_incidents_event_ts_order')),
    sa.CheckConstraint('predicted_failure_earliest IS NULL OR predicted_failure_ts IS NULL OR predicted_failure_earliest <= predicted_failure_ts', name=op.f('ck_incidents_prognosis_earliest')),
    sa.CheckConstraint('predicted_failure_latest IS NULL OR predicted_failure_ts IS NULL OR predicted_failure_ts <= predicted_failure_latest', name=op.f('ck_incidents_prognosis_latest')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_incidents_device_id_devices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    op.create_index('ix_incidents_device_id_state', 'incidents', ['device_id', 'state'], unique=False)
    op.create_index('uq_incidents_open_device_fault', 'incidents', ['device_id', 'fault'], unique=True, sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))
    op.create_table('processed_events',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('fault', sa.String(length=64), nullable=True),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', JSON_DOCUMENT, nullable=False),
    sa.CheckConstraint('length(event_id) BETWEEN 8 AND 64', name=op.f('ck_processed_events_event_id_length')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_processed_events_device_id_devices')),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_processed_events'))
    )
    op.create_index('ix_processed_events_device_id_ts', 'processed_events', ['device_id', 'ts'], unique=False)
    op.create_table('sequence_gaps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('stream', sa.Enum('telemetry', 'event', name='seq_stream', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('numbering', sa.Integer(), nullable=False),
    sa.Column('first_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('downsampled', sa.Boolean(), nullable=False),
    sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('first_seq <= last_seq', name=op.f('ck_sequence_gaps_seq_order')),
    sa.CheckConstraint('first_seq >= 0', name=op.f('ck_sequence_gaps_seq_non_negative')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_sequence_gaps_device_id_devices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sequence_gaps')),
    sa.UniqueConstraint('device_id', 'stream', 'numbering', 'first_seq', name=op.f('uq_sequence_gaps_device_id_stream_numbering_first_seq'))
    )
    op.create_table('stream_positions',
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('stream', sa.Enum('telemetry', 'event', name='seq_stream', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('numbering', sa.Integer(), nullable=False),
    sa.Column('numbering_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_downsampled', sa.Boolean(), nullable=False),
    sa.Column('received', sa.BigInteger(), nullable=False),
    sa.Column('duplicates', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('first_seq <= last_seq', name=op.f('ck_stream_positions_seq_order')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_stream_positions_device_id_devices')),
    sa.PrimaryKeyConstraint('device_id', 'stream', name=op.f('pk_stream_positions'))
    )
    op.create_table('incident_events',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['processed_events.event_id'], name=op.f('fk_incident_events_event_id_processed_events')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_events_incident_id_incidents')),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_incident_events'))
    )
    op.create_index(op.f('ix_incident_events_incident_id'), 'incident_events', ['incident_id'], unique=False)
    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('open', 'acknowledged', 'scheduled', 'in_progress', 'waiting_on_customer', 'resolved', 'closed', 'cancelled', name='ticket_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('response_by', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolution_by', sa.DateTime(timezone=True), nullable=False),
    sa.Column('agreement_status', sa.Enum('due', 'breached', 'met', 'paused', name='agreement_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('sla_paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sla_paused_seconds', sa.Double(), nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('visit_window_start', sa.DateTime(timezone=True), nullable=True),
    sa.Column('visit_window_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('technician_id', sa.Integer(), nullable=True),
    sa.Column('resolution_code', sa.Enum('fault_confirmed', 'other_fault', 'no_fault_found', name='resolution_code', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status <> 'scheduled' OR visit_window_start IS NOT NULL", name=op.f('ck_tickets_scheduled_has_visit')),
    sa.CheckConstraint("status NOT IN ('resolved', 'closed') OR resolution_code IS NOT NULL", name=op.f('ck_tickets_resolution_code_when_resolved')),
    sa.CheckConstraint('(visit_window_start IS NULL) = (visit_window_end IS NULL)', name=op.f('ck_tickets_visit_window_both')),
    sa.CheckConstraint('priority BETWEEN 1 AND 4', name=op.f('ck_tickets_priority_range')),
    sa.CheckConstraint('response_by <= resolution_by', name=op.f('ck_tickets_sla_deadline_order')),
    sa.CheckConstraint('sla_paused_seconds >= 0', name=op.f('ck_tickets_sla_paused_non_negative')),
    sa.CheckConstraint('visit_window_start < visit_window_end', name=op.f('ck_tickets_visit_window_order')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_tickets_device_id_devices')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_tickets_incident_id_incidents')),
    sa.ForeignKeyConstraint(['technician_id'], ['users.id'], name=op.f('fk_tickets_technician_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('incident_id', name=op.f('uq_tickets_incident_id'))
    )
    op.create_index(op.f('ix_tickets_device_id'), 'tickets', ['device_id'], unique=False)
    op.create_index('ix_tickets_status_priority', 'tickets', ['status', 'priority'], unique=False)
    op.create_index(op.f('ix_tickets_technician_id'), 'tickets', ['technician_id'], unique=False)
    op.create_table('ticket_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_value', sa.String(length=200), nullable=True),
    sa.Column('to_value', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_ticket_history_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ticket_history_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ticket_history'))
    )
    op.create_index('ix_ticket_history_ticket_id_at', 'ticket_history', ['ticket_id', 'at'], unique=False)


def downgrade() -> None:
    # indexes go with their tables
    op.drop_table('ticket_history')
    op.drop_table('tickets')
    op.drop_table('incident_events')
    op.drop_table('stream_positions')
    op.drop_table('sequence_gaps')
    op.drop_table('processed_events')
    op.drop_table('incidents')
    op.drop_table('devices')
    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('sites')
    op.drop_table('customers')

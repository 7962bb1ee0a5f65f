"""co-construction registries: parks in the park, benefit sharing, smart manufacturing, platforms

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 06:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cocon_smart_aggregate',
    sa.Column('aggregate_id', sa.String(length=64), nullable=False),
    sa.Column('region', sa.String(length=6), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('tier', sa.String(length=10), nullable=True),
    sa.Column('measure', sa.String(length=12), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('qualifier', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('source_url', sa.Text(), nullable=True),
    sa.Column('confidence', sa.String(length=12), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("confidence IN ('confirmed', 'likely', 'unconfirmed', 'synthetic')", name=op.f('ck_cocon_smart_aggregate_confidence')),
    sa.CheckConstraint("kind IN ('digital_workshop', 'intelligent_factory', 'intelligent_park', 'retrofit_project')", name=op.f('ck_cocon_smart_aggregate_kind')),
    sa.CheckConstraint("measure IN ('cumulative', 'annual')", name=op.f('ck_cocon_smart_aggregate_measure')),
    sa.CheckConstraint("qualifier IN ('exact', 'at_least', 'about')", name=op.f('ck_cocon_smart_aggregate_qualifier')),
    sa.CheckConstraint("tier IS NULL OR tier IN ('basic', 'advanced', 'excellent', 'leading')", name=op.f('ck_cocon_smart_aggregate_tier')),
    sa.CheckConstraint('count >= 0', name=op.f('ck_cocon_smart_aggregate_count')),
    sa.ForeignKeyConstraint(['region'], ['region.adcode'], name=op.f('fk_cocon_smart_aggregate_region_region')),
    sa.PrimaryKeyConstraint('aggregate_id', name=op.f('pk_cocon_smart_aggregate'))
    )
    with op.batch_alter_table('cocon_smart_aggregate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cocon_smart_aggregate_region'), ['region'], unique=False)

    op.create_table('cocon_park_in_park',
    sa.Column('pip_id', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=300), nullable=False),
    sa.Column('host_region', sa.String(length=6), nullable=False),
    sa.Column('host_park_id', sa.String(length=64), nullable=True),
    sa.Column('mode', sa.String(length=20), nullable=True),
    sa.Column('leaders', sa.String(length=1000), nullable=True),
    sa.Column('partner_region', sa.String(length=6), nullable=True),
    sa.Column('partner_park_id', sa.String(length=64), nullable=True),
    sa.Column('partner_name', sa.String(length=300), nullable=True),
    sa.Column('area_km2', sa.Float(), nullable=True),
    sa.Column('investment_cny_m', sa.Float(), nullable=True),
    sa.Column('start_year', sa.Integer(), nullable=True),
    sa.Column('n_member_firms', sa.Integer(), nullable=True),
    sa.Column('output_cny_m', sa.Float(), nullable=True),
    sa.Column('jobs', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('source_url', sa.Text(), nullable=True),
    sa.Column('confidence', sa.String(length=12), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("confidence IN ('confirmed', 'likely', 'unconfirmed', 'synthetic')", name=op.f('ck_cocon_park_in_park_confidence')),
    sa.CheckConstraint("mode IS NULL OR mode IN ('hq_base', 'rd_transformation', 'terminal_support')", name=op.f('ck_cocon_park_in_park_mode')),
    sa.CheckConstraint("status IN ('planned', 'under_construction', 'operating', 'unknown')", name=op.f('ck_cocon_park_in_park_status')),
    sa.ForeignKeyConstraint(['host_park_id'], ['park.park_id'], name=op.f('fk_cocon_park_in_park_host_park_id_park')),
    sa.ForeignKeyConstraint(['host_region'], ['region.adcode'], name=op.f('fk_cocon_park_in_park_host_region_region')),
    sa.ForeignKeyConstraint(['partner_park_id'], ['park.park_id'], name=op.f('fk_cocon_park_in_park_partner_park_id_park')),
    sa.ForeignKeyConstraint(['partner_region'], ['region.adcode'], name=op.f('fk_cocon_park_in_park_partner_region_region')),
    sa.PrimaryKeyConstraint('pip_id', name=op.f('pk_cocon_park_in_park'))
    )
    with op.batch_alter_table('cocon_park_in_park', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cocon_park_in_park_host_park_id'), ['host_park_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cocon_park_in_park_host_region'), ['host_region'], unique=False)

    op.create_table('cocon_maturity',
    sa.Column('assessment_id', sa.String(length=64), nullable=False),
    sa.Column('enterprise_id', sa.String(length=64), nullable=False),
    sa.Column('park_id', sa.String(length=64), nullable=True),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('assessor', sa.String(length=12), nullable=False),
    sa.Column('model_version', sa.String(length=32), nullable=False),
    sa.Column('overall_level', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('domain_levels', sa.String(length=2000), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('source_url', sa.Text(), nullable=True),
    sa.Column('confidence', sa.String(length=12), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("assessor IN ('self', 'third_party', 'certified')", name=op.f('ck_cocon_maturity_assessor')),
    sa.CheckConstraint("confidence IN ('confirmed', 'likely', 'unconfirmed', 'synthetic')", name=op.f('ck_cocon_maturity_confidence')),
    sa.CheckConstraint('overall_level >= 1 AND overall_level <= 5', name=op.f('ck_cocon_maturity_level')),
    sa.CheckConstraint('score IS NULL OR (score >= 0 AND score <= 5)', name=op.f('ck_cocon_maturity_score')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.enterprise_id'], name=op.f('fk_cocon_maturity_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['park_id'], ['park.park_id'], name=op.f('fk_cocon_maturity_park_id_park')),
    sa.PrimaryKeyConstraint('assessment_id', name=op.f('pk_cocon_maturity'))
    )
    with op.batch_alter_table('cocon_maturity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cocon_maturity_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cocon_maturity_park_id'), ['park_id'], unique=False)

    op.create_table('cocon_pip_leader',
    sa.Column('pip_id', sa.String(length=64), nullable=False),
    sa.Column('enterprise_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.enterprise_id'], name=op.f('fk_cocon_pip_leader_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['pip_id'], ['cocon_park_in_park.pip_id'], name=op.f('fk_cocon_pip_leader_pip_id_cocon_park_in_park'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pip_id', 'enterprise_id', name=op.f('pk_cocon_pip_leader'))
    )
    with op.batch_alter_table('cocon_pip_leader', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cocon_pip_leader_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('cocon_pip_member',
    sa.Column('pip_id', sa.String(length=64), nullable=False),
    sa.Column('enterprise_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.enterprise_id'], name=op.f('fk_cocon_pip_member_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['pip_id'], ['cocon_park_in_park.pip_id'], name=op.f('fk_cocon_pip_member_pip_id_cocon_park_in_park'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pip_id', 'enterprise_id', name=op.f('pk_cocon_pip_member'))
    )
    with op.batch_alter_table('cocon_pip_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cocon_pip_member_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('cocon_platform',
    sa.Column('platform_id', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=300), nullable=False),
    sa.Column('name_en', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('level', sa.String(length=12), nullable=False),
    sa.Column('host_park_id', sa.String(length=64), nullable=False),
    sa.Column('owner', sa.String(length=300), nullable=True),
    sa.Column('enterprise_id', sa.String(length=64), nullable=True),
    sa.Column('chains', sa.String(length=200), nullable=True),
    sa.Column('services', sa.String(length=2000), nullable=True),
    sa.Column('year_recognised', sa.Integer(), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('source_url', sa.Text(), nullable=True),
    sa.Column('confidence', sa.String(length=12), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("confidence IN ('confirmed', 'likely', 'unconfirmed', 'synthetic')", name=op.f('ck_cocon_platform_confidence')),
    sa.CheckConstraint("kind IN ('enterprise_tech_centre', 'industrial_design_centre', 'key_laboratory', 'engineering_research_centre', 'manufacturing_innovation_centre', 'pilot_base', 'public_testing_platform')", name=op.f('ck_cocon_platform_kind')),
    sa.CheckConstraint("level IN ('national', 'provincial', 'municipal')", name=op.f('ck_cocon_platform_level')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.enterprise_id'], name=op.f('fk_cocon_platform_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['host_park_id'], ['park.park_id'], name=op.f('fk_cocon_platform_host_park_id_park')),
    sa.PrimaryKeyConstraint('platform_id', name=op.f('pk_cocon_platform'))
    )
    with op.batch_alter_table('cocon_platform', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cocon_platform_host_park_id'), ['host_park_id'], unique=False)

    op.create_table('cocon_sharing',
    sa.Column('agreement_id', sa.String(length=64), nullable=False),
    sa.Column('pip_id', sa.String(length=64), nullable=True),
    sa.Column('park_id', sa.String(length=64), nullable=True),
    sa.Column('area_name', sa.String(length=300), nullable=False),
    sa.Column('parties', sa.String(length=1000), nullable=False),
    sa.Column('metric', sa.String(length=20), nullable=False),
    sa.Column('base', sa.String(length=10), nullable=False),
    sa.Column('split_pct', sa.String(length=200), nullable=True),
    sa.Column('scope', sa.String(length=500), nullable=True),
    sa.Column('start_year', sa.Integer(), nullable=True),
    sa.Column('duration_years', sa.Integer(), nullable=True),
    sa.Column('floor_cny_m', sa.Float(), nullable=True),
    sa.Column('floor_beneficiary', sa.String(length=300), nullable=True),
    sa.Column('attribution', sa.String(length=24), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('source_url', sa.Text(), nullable=True),
    sa.Column('confidence', sa.String(length=12), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("attribution IN ('original_jurisdiction', 'territorial', 'virtual_region_code', 'report_marker', 'manual', 'unknown')", name=op.f('ck_cocon_sharing_attribution')),
    sa.CheckConstraint("base IN ('all', 'existing', 'new')", name=op.f('ck_cocon_sharing_base')),
    sa.CheckConstraint("confidence IN ('confirmed', 'likely', 'unconfirmed', 'synthetic')", name=op.f('ck_cocon_sharing_confidence')),
    sa.CheckConstraint("metric IN ('tax', 'vat', 'income_tax', 'value_added', 'fixed_investment', 'output', 'statistics', 'equity')", name=op.f('ck_cocon_sharing_metric')),
    sa.CheckConstraint('floor_cny_m IS NULL OR floor_cny_m >= 0', name=op.f('ck_cocon_sharing_floor')),
    sa.ForeignKeyConstraint(['park_id'], ['park.park_id'], name=op.f('fk_cocon_sharing_park_id_park')),
    sa.ForeignKeyConstraint(['pip_id'], ['cocon_park_in_park.pip_id'], name=op.f('fk_cocon_sharing_pip_id_cocon_park_in_park')),
    sa.PrimaryKeyConstraint('agreement_id', name=op.f('pk_cocon_sharing'))
    )
    with op.batch_alter_table('cocon_sharing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cocon_sharing_park_id'), ['park_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cocon_sharing_pip_id'), ['pip_id'], unique=False)

    op.create_table('cocon_smart_recognition',
    sa.Column('recognition_id', sa.String(length=64), nullable=False),
    sa.Column('enterprise_id', sa.String(length=64), nullable=True),
    sa.Column('enterprise_name', sa.String(length=300), nullable=False),
    sa.Column('park_id', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('tier', sa.String(length=10), nullable=True),
    sa.Column('list_level', sa.String(length=12), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('batch', sa.String(length=100), nullable=True),
    sa.Column('issuing_body', sa.String(length=300), nullable=False),
    sa.Column('project', sa.String(length=500), nullable=True),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('source_url', sa.Text(), nullable=True),
    sa.Column('confidence', sa.String(length=12), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("confidence IN ('confirmed', 'likely', 'unconfirmed', 'synthetic')", name=op.f('ck_cocon_smart_recognition_confidence')),
    sa.CheckConstraint("kind IN ('digital_workshop', 'intelligent_factory', 'intelligent_park')", name=op.f('ck_cocon_smart_recognition_kind')),
    sa.CheckConstraint("list_level IN ('national', 'provincial', 'municipal')", name=op.f('ck_cocon_smart_recognition_list_level')),
    sa.CheckConstraint("tier IS NULL OR tier IN ('basic', 'advanced', 'excellent', 'leading')", name=op.f('ck_cocon_smart_recognition_tier')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprise.enterprise_id'], name=op.f('fk_cocon_smart_recognition_enterprise_id_enterprise')),
    sa.ForeignKeyConstraint(['park_id'], ['park.park_id'], name=op.f('fk_cocon_smart_recognition_park_id_park')),
    sa.PrimaryKeyConstraint('recognition_id', name=op.f('pk_cocon_smart_recognition'))
    )
    with op.batch_alter_table('cocon_smart_recognition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cocon_smart_recognition_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cocon_smart_recognition_park_id'), ['park_id'], unique=False)

    op.create_table('cocon_platform_segment',
    sa.Column('platform_id', sa.String(length=64), nullable=False),
    sa.Column('segment_id', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['cocon_platform.platform_id'], name=op.f('fk_cocon_platform_segment_platform_id_cocon_platform'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['segment_id'], ['segment.segment_id'], name=op.f('fk_cocon_platform_segment_segment_id_segment')),
    sa.PrimaryKeyConstraint('platform_id', 'segment_id', name=op.f('pk_cocon_platform_segment'))
    )
    with op.batch_alter_table('cocon_platform_segment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cocon_platform_segment_segment_id'), ['segment_id'], unique=False)

    op.create_table('cocon_sharing_realised',
    sa.Column('record_id', sa.String(length=80), nullable=False),
    sa.Column('agreement_id', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('total_cny_m', sa.Float(), nullable=False),
    sa.Column('received_cny_m', sa.String(length=500), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('source_url', sa.Text(), nullable=True),
    sa.Column('confidence', sa.String(length=12), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("confidence IN ('confirmed', 'likely', 'unconfirmed', 'synthetic')", name=op.f('ck_cocon_sharing_realised_confidence')),
    sa.ForeignKeyConstraint(['agreement_id'], ['cocon_sharing.agreement_id'], name=op.f('fk_cocon_sharing_realised_agreement_id_cocon_sharing')),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_cocon_sharing_realised'))
    )
    with op.batch_alter_table('cocon_sharing_realised', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cocon_sharing_realised_agreement_id'), ['agreement_id'], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('cocon_sharing_realised', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cocon_sharing_realised_agreement_id'))

    op.drop_table('cocon_sharing_realised')
    with op.batch_alter_table('cocon_platform_segment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cocon_platform_segment_segment_id'))

    op.drop_table('cocon_platform_segment')
    with op.batch_alter_table('cocon_smart_recognition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cocon_smart_recognition_park_id'))
        batch_op.drop_index(batch_op.f('ix_cocon_smart_recognition_enterprise_id'))

    op.drop_table('cocon_smart_recognition')
    with op.batch_alter_table('cocon_sharing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cocon_sharing_pip_id'))
        batch_op.drop_index(batch_op.f('ix_cocon_sharing_park_id'))

    op.drop_table('cocon_sharing')
    with op.batch_alter_table('cocon_platform', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cocon_platform_host_park_id'))

    op.drop_table('cocon_platform')
    with op.batch_alter_table('cocon_pip_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cocon_pip_member_enterprise_id'))

    op.drop_table('cocon_pip_member')
    with op.batch_alter_table('cocon_pip_leader', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cocon_pip_leader_enterprise_id'))

    op.drop_table('cocon_pip_leader')
    with op.batch_alter_table('cocon_maturity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cocon_maturity_park_id'))
        batch_op.drop_index(batch_op.f('ix_cocon_maturity_enterprise_id'))

    op.drop_table('cocon_maturity')
    with op.batch_alter_table('cocon_park_in_park', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cocon_park_in_park_host_region'))
        batch_op.drop_index(batch_op.f('ix_cocon_park_in_park_host_park_id'))

    op.drop_table('cocon_park_in_park')
    with op.batch_alter_table('cocon_smart_aggregate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cocon_smart_aggregate_region'))

    op.drop_table('cocon_smart_aggregate')
    # ### end Alembic commands ###

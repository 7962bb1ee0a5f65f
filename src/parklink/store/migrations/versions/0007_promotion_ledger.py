"""investment-promotion ledger: plans, goals, targets, events, projects, stage events, funds

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 06:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('promotion_event',
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=300), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('country', sa.String(length=60), nullable=False),
    sa.Column('organisers_sc', sa.Text(), nullable=True),
    sa.Column('organisers_cq', sa.Text(), nullable=True),
    sa.Column('chains', sa.String(length=200), nullable=True),
    sa.Column('invited_firms', sa.Integer(), nullable=True),
    sa.Column('attending_firms', sa.Integer(), nullable=True),
    sa.Column('leads_generated', sa.Integer(), nullable=True),
    sa.Column('signed_on_site', sa.Integer(), nullable=True),
    sa.Column('signed_on_site_cny_m', sa.Float(), nullable=True),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('source_url', sa.Text(), nullable=True),
    sa.Column('confidence', sa.String(length=12), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("confidence IN ('confirmed', 'likely', 'unconfirmed', 'synthetic')", name=op.f('ck_promotion_event_confidence')),
    sa.CheckConstraint('attending_firms IS NULL OR attending_firms >= 0', name=op.f('ck_promotion_event_attending')),
    sa.CheckConstraint('invited_firms IS NULL OR invited_firms >= 0', name=op.f('ck_promotion_event_invited')),
    sa.CheckConstraint('leads_generated IS NULL OR leads_generated >= 0', name=op.f('ck_promotion_event_leads')),
    sa.CheckConstraint('signed_on_site IS NULL OR signed_on_site >= 0', name=op.f('ck_promotion_event_signed')),
    sa.CheckConstraint('signed_on_site_cny_m IS NULL OR signed_on_site_cny_m >= 0', name=op.f('ck_promotion_event_signed_amount')),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_promotion_event'))
    )
    with op.batch_alter_table('promotion_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promotion_event_held_on'), ['held_on'], unique=False)

    op.create_table('promotion_plan',
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=300), nullable=False),
    sa.Column('scope_kind', sa.String(length=12), nullable=False),
    sa.Column('scope_id', sa.String(length=140), nullable=False),
    sa.Column('period_start', sa.Integer(), nullable=False),
    sa.Column('period_end', sa.Integer(), nullable=False),
    sa.Column('focal_chains', sa.String(length=200), nullable=True),
    sa.Column('focal_segments', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('source_url', sa.Text(), nullable=True),
    sa.Column('confidence', sa.String(length=12), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("confidence IN ('confirmed', 'likely', 'unconfirmed', 'synthetic')", name=op.f('ck_promotion_plan_confidence')),
    sa.CheckConstraint("scope_kind IN ('designation', 'park_pair', 'park', 'zone')", name=op.f('ck_promotion_plan_scope_kind')),
    sa.CheckConstraint("status IN ('draft', 'active', 'closed')", name=op.f('ck_promotion_plan_status')),
    sa.CheckConstraint('period_start <= period_end', name=op.f('ck_promotion_plan_period')),
    sa.PrimaryKeyConstraint('plan_id', name=op.f('pk_promotion_plan'))
    )
    with op.batch_alter_table('promotion_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promotion_plan_scope_id'), ['scope_id'], unique=False)

    op.create_table('plan_goal',
    sa.Column('goal_id', sa.String(length=80), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('projects', sa.Integer(), nullable=True),
    sa.Column('signed_investment_cny_m', sa.Float(), nullable=True),
    sa.Column('funds_in_place_cny_m', sa.Float(), nullable=True),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint('funds_in_place_cny_m IS NULL OR funds_in_place_cny_m >= 0', name=op.f('ck_plan_goal_funds')),
    sa.CheckConstraint('projects IS NULL OR projects >= 0', name=op.f('ck_plan_goal_projects')),
    sa.CheckConstraint('signed_investment_cny_m IS NULL OR signed_investment_cny_m >= 0', name=op.f('ck_plan_goal_signed')),
    sa.ForeignKeyConstraint(['plan_id'], ['promotion_plan.plan_id'], name=op.f('fk_plan_goal_plan_id_promotion_plan'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('goal_id', name=op.f('pk_plan_goal')),
    sa.UniqueConstraint('plan_id', 'year', name='uq_plan_goal_plan_year')
    )
    op.create_table('plan_target',
    sa.Column('target_id', sa.String(length=240), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('segment_id', sa.String(length=80), nullable=False),
    sa.Column('enterprise_id', sa.String(length=64), nullable=False),
    sa.Column('enterprise_name', sa.String(length=300), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('model_version', sa.String(length=80), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('drop_reason', sa.Text(), nullable=True),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("status <> 'dropped' OR drop_reason IS NOT NULL", name=op.f('ck_plan_target_drop_reason')),
    sa.CheckConstraint("status IN ('ranked', 'added', 'dropped')", name=op.f('ck_plan_target_status')),
    sa.CheckConstraint('rank IS NULL OR rank >= 1', name=op.f('ck_plan_target_rank')),
    sa.ForeignKeyConstraint(['plan_id'], ['promotion_plan.plan_id'], name=op.f('fk_plan_target_plan_id_promotion_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['segment_id'], ['segment.segment_id'], name=op.f('fk_plan_target_segment_id_segment')),
    sa.PrimaryKeyConstraint('target_id', name=op.f('pk_plan_target'))
    )
    with op.batch_alter_table('plan_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_target_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_target_plan_id'), ['plan_id'], unique=False)

    op.create_table('project',
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=300), nullable=False),
    sa.Column('name_en', sa.String(length=400), nullable=True),
    sa.Column('investor_id', sa.String(length=64), nullable=True),
    sa.Column('investor_name', sa.String(length=300), nullable=False),
    sa.Column('origin_province', sa.String(length=40), nullable=True),
    sa.Column('origin_country', sa.String(length=60), nullable=False),
    sa.Column('park_id', sa.String(length=64), nullable=False),
    sa.Column('chain', sa.String(length=16), nullable=True),
    sa.Column('segment_id', sa.String(length=80), nullable=True),
    sa.Column('mode', sa.String(length=28), nullable=False),
    sa.Column('signed_investment_cny_m', sa.Float(), nullable=True),
    sa.Column('jobs', sa.Integer(), nullable=True),
    sa.Column('expected_output_cny_m', sa.Float(), nullable=True),
    sa.Column('expected_tax_cny_m', sa.Float(), nullable=True),
    sa.Column('planned_sign', sa.Date(), nullable=True),
    sa.Column('planned_start', sa.Date(), nullable=True),
    sa.Column('planned_production', sa.Date(), nullable=True),
    sa.Column('planned_capacity', sa.Date(), nullable=True),
    sa.Column('event_id', sa.String(length=64), nullable=True),
    sa.Column('plan_id', sa.String(length=64), nullable=True),
    sa.Column('rec_rank', sa.Integer(), nullable=True),
    sa.Column('rec_score', sa.Float(), nullable=True),
    sa.Column('rec_reason', sa.Text(), nullable=True),
    sa.Column('rec_model_version', sa.String(length=80), nullable=True),
    sa.Column('rec_scope_id', sa.String(length=140), nullable=True),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('source_url', sa.Text(), nullable=True),
    sa.Column('confidence', sa.String(length=12), nullable=False),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("chain IS NULL OR chain IN ('auto', 'moto', 'electronics', 'biomed')", name=op.f('ck_project_chain')),
    sa.CheckConstraint("confidence IN ('confirmed', 'likely', 'unconfirmed', 'synthetic')", name=op.f('ck_project_confidence')),
    sa.CheckConstraint("mode IN ('new', 'expansion', 'relocation', 'pip_hq_base', 'pip_rd_transformation', 'pip_terminal_support')", name=op.f('ck_project_mode')),
    sa.CheckConstraint('expected_output_cny_m IS NULL OR expected_output_cny_m >= 0', name=op.f('ck_project_output')),
    sa.CheckConstraint('expected_tax_cny_m IS NULL OR expected_tax_cny_m >= 0', name=op.f('ck_project_tax')),
    sa.CheckConstraint('jobs IS NULL OR jobs >= 0', name=op.f('ck_project_jobs')),
    sa.CheckConstraint('rec_rank IS NULL OR rec_rank >= 1', name=op.f('ck_project_rec_rank')),
    sa.CheckConstraint('signed_investment_cny_m IS NULL OR signed_investment_cny_m >= 0', name=op.f('ck_project_signed')),
    sa.ForeignKeyConstraint(['event_id'], ['promotion_event.event_id'], name=op.f('fk_project_event_id_promotion_event')),
    sa.ForeignKeyConstraint(['park_id'], ['park.park_id'], name=op.f('fk_project_park_id_park')),
    sa.ForeignKeyConstraint(['plan_id'], ['promotion_plan.plan_id'], name=op.f('fk_project_plan_id_promotion_plan')),
    sa.ForeignKeyConstraint(['segment_id'], ['segment.segment_id'], name=op.f('fk_project_segment_id_segment')),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_project'))
    )
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_chain'), ['chain'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_investor_id'), ['investor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_park_id'), ['park_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_rec_model_version'), ['rec_model_version'], unique=False)

    op.create_table('project_fund',
    sa.Column('fund_id', sa.String(length=100), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('amount_cny_m', sa.Float(), nullable=False),
    sa.Column('use', sa.String(length=16), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("use IN ('fixed_assets', 'working_capital', 'unknown')", name=op.f('ck_project_fund_use')),
    sa.CheckConstraint('amount_cny_m >= 0', name=op.f('ck_project_fund_amount')),
    sa.ForeignKeyConstraint(['project_id'], ['project.project_id'], name=op.f('fk_project_fund_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('fund_id', name=op.f('pk_project_fund'))
    )
    with op.batch_alter_table('project_fund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_fund_project_id'), ['project_id'], unique=False)

    op.create_table('stage_event',
    sa.Column('stage_event_id', sa.String(length=90), nullable=False),
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('stage', sa.String(length=24), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('recorded_by', sa.String(length=80), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('reason', sa.String(length=24), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("(stage = 'terminated') = (reason IS NOT NULL)", name=op.f('ck_stage_event_reason_terminated')),
    sa.CheckConstraint("reason IS NULL OR reason IN ('investor_withdrew', 'financing', 'land', 'approval', 'relocated', 'market', 'other')", name=op.f('ck_stage_event_reason')),
    sa.CheckConstraint("stage IN ('lead', 'negotiating', 'signed', 'construction_started', 'in_production', 'at_capacity', 'terminated')", name=op.f('ck_stage_event_stage')),
    sa.ForeignKeyConstraint(['project_id'], ['project.project_id'], name=op.f('fk_stage_event_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('stage_event_id', name=op.f('pk_stage_event')),
    sa.UniqueConstraint('project_id', 'stage', name='uq_stage_event_project_stage')
    )
    with op.batch_alter_table('stage_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_event_on_date'), ['on_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_stage_event_project_id'), ['project_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('stage_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_event_project_id'))
        batch_op.drop_index(batch_op.f('ix_stage_event_on_date'))

    op.drop_table('stage_event')
    with op.batch_alter_table('project_fund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_fund_project_id'))

    op.drop_table('project_fund')
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_rec_model_version'))
        batch_op.drop_index(batch_op.f('ix_project_plan_id'))
        batch_op.drop_index(batch_op.f('ix_project_park_id'))
        batch_op.drop_index(batch_op.f('ix_project_investor_id'))
        batch_op.drop_index(batch_op.f('ix_project_event_id'))
        batch_op.drop_index(batch_op.f('ix_project_chain'))

    op.drop_table('project')
    with op.batch_alter_table('plan_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_target_plan_id'))
        batch_op.drop_index(batch_op.f('ix_plan_target_enterprise_id'))

    op.drop_table('plan_target')
    op.drop_table('plan_goal')
    with op.batch_alter_table('promotion_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promotion_plan_scope_id'))

    op.drop_table('promotion_plan')
    with op.batch_alter_table('promotion_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promotion_event_held_on'))

    op.drop_table('promotion_event')

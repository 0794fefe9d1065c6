"""The mentor tree: placing, reading, reassigning; cycles are impossible (state machine)."""
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import select

from app.transactions import unit_of_work
from app.accounts.models import User
from app.domain_errors import DomainError
from app.extensions import db
from app.referrals import services as tree
from app.referrals.models import MentorChange, TreeNode


def new_user(n: int) -> User:
    # Not register_user: scrypt would make hundreds of sign-ups slow, and passwords don't matter here.
    user = User(email=f"user{n}@example.com", display_name=f"User {n}", password_hash="-")
    db.session.add(user)
    db.session.flush()
    return user


@pytest.fixture
def ctx(app):
    with unit_of_work(app):
        yield


def test_codes_avoid_ambiguous_characters():
    codes = {tree.new_invite_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert not any(ch in code for code in codes for ch in "0O1IL")
    assert tree.normalize_code(" abc-def 23 ") == "ABCDEF23"


def test_place_read_and_measure(ctx):
    root = tree.place_user(new_user(1), None)
    mentee = tree.place_user(new_user(2), root)
    grandchild = tree.place_user(new_user(3), mentee)
    db.session.commit()
    assert grandchild.path == f"/{root.user_id}/{mentee.user_id}/{grandchild.user_id}/"
    assert [n.user_id for n in tree.ancestors(grandchild)] == [root.user_id, mentee.user_id]
    assert tree.subtree_size(root) == 2 and tree.subtree_size(grandchild) == 0
    assert [n.user_id for n in tree.direct_mentees(root.user_id)] == [mentee.user_id]


def test_codes_are_checked(ctx):
    root = tree.place_user(new_user(1), None)
    db.session.commit()
    assert tree.mentor_for_code(root.invite_code.lower(), required=True).user_id == root.user_id
    for raw, code in [("", "code_required"), ("ZZZZZZZZ", "unknown_code")]:
        with pytest.raises(DomainError) as caught:
            tree.mentor_for_code(raw, required=True)
        assert caught.value.code == code
    db.session.get(User, root.user_id).active = False
    with pytest.raises(DomainError, match="inactive_code"):
        tree.mentor_for_code(root.invite_code, required=False)


def test_reassign_moves_the_subtree_and_audits(ctx, make_user):
    a, b, c, d = (tree.place_user(new_user(i), None) for i in range(4))
    tree.reassign_mentor(c.user_id, b.user_id, "moved", None)
    tree.reassign_mentor(d.user_id, c.user_id, "moved", None)
    tree.reassign_mentor(b.user_id, a.user_id, "team change", None)
    d = db.session.get(TreeNode, d.user_id)
    assert d.path == f"/{a.user_id}/{b.user_id}/{c.user_id}/{d.user_id}/" and d.depth == 3
    assert tree.subtree_size(db.session.get(TreeNode, a.user_id)) == 3
    change = tree.mentor_changes(b.user_id)[-1]
    assert (change.from_mentor_id, change.to_mentor_id, change.reason) == (None, a.user_id, "team change")


def test_reassigning_into_ones_own_subtree_is_refused(ctx):
    a = tree.place_user(new_user(1), None)
    b = tree.place_user(new_user(2), a)
    c = tree.place_user(new_user(3), b)
    db.session.commit()
    for target, mentor, code in [(a.user_id, c.user_id, "cycle"), (a.user_id, a.user_id, "self_invite")]:
        with pytest.raises(DomainError) as caught:
            tree.reassign_mentor(target, mentor, "bad", None)
        assert caught.value.code == code
    with pytest.raises(DomainError, match="reason_required"):
        tree.reassign_mentor(b.user_id, None, " ", None)
    assert db.session.scalar(select(MentorChange.id)) is None


def test_a_deactivated_mentors_mentees_go_to_the_grand_mentor(ctx):
    a = tree.place_user(new_user(1), None)
    b = tree.place_user(new_user(2), a)
    kids = [tree.place_user(new_user(10 + i), b) for i in range(3)]
    db.session.commit()
    assert tree.reparent_mentees(b.user_id, "mentor left", None) == 3
    assert {n.mentor_id for n in (db.session.get(TreeNode, k.user_id) for k in kids)} == {a.user_id}
    assert tree.subtree_size(db.session.get(TreeNode, b.user_id)) == 0


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_random_signups_and_reassignments_never_make_a_cycle(app):
    class TreeMachine(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.ctx = app.app_context()
            self.ctx.push()
            for table in ("mentor_changes", "tree_nodes"):
                db.session.execute(db.metadata.tables[table].delete())
            db.session.execute(db.metadata.tables["users"].delete())
            db.session.commit()
            self.count = 0
            self.ids: list[int] = []

        def teardown(self):
            db.session.rollback()
            self.ctx.pop()

        @rule(data=st.data())
        def sign_up(self, data):
            mentor = data.draw(st.sampled_from([None] + self.ids)) if self.ids else None
            self.count += 1
            user = new_user(self.count)
            tree.place_user(user, db.session.get(TreeNode, mentor) if mentor else None)
            db.session.commit()
            self.ids.append(user.id)

        @precondition(lambda self: len(self.ids) >= 2)
        @rule(data=st.data())
        def reassign(self, data):
            user = data.draw(st.sampled_from(self.ids))
            mentor = data.draw(st.sampled_from([None] + self.ids))
            node = db.session.get(TreeNode, user)
            target = db.session.get(TreeNode, mentor) if mentor else None
            expect_refusal = mentor == user or (target is not None and target.path.startswith(node.path))
            try:
                tree.reassign_mentor(user, mentor, "shuffle", None)
                assert not expect_refusal
            except DomainError as error:
                assert expect_refusal and error.code in ("cycle", "self_invite")

        @invariant()
        def paths_follow_mentors_and_no_cycles(self):
            nodes = {n.user_id: n for n in db.session.scalars(select(TreeNode))}
            for node in nodes.values():
                seen, current = set(), node
                while current.mentor_id is not None:  # walking up always ends at a root
                    assert current.user_id not in seen
                    seen.add(current.user_id)
                    current = nodes[current.mentor_id]
                expected = "/" + "".join(f"{i}/" for i in reversed([node.user_id, *self._chain(nodes, node)]))
                assert node.path == expected and node.depth == len(self._chain(nodes, node))

        @staticmethod
        def _chain(nodes, node):
            chain, current = [], node
            while current.mentor_id is not None:
                chain.append(current.mentor_id)
                current = nodes[current.mentor_id]
            return chain

    TreeMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None,
                                             suppress_health_check=[HealthCheck.too_slow])
    TreeMachine.TestCase().runTest()

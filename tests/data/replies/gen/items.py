"""Shared helper for the hand-written reply items (see make_corpus.py)."""
import textwrap


def make_adder(store, lang):
    def add(cls, d, body, pd='-', amt='-', cur='-', inv='-', notes='', **opts):
        if isinstance(inv, (list, tuple)):
            inv = ','.join(inv)
        store.append(dict(cls=cls, lang=lang, d=d,
                          body=textwrap.dedent(body).strip('\n'),
                          pd=pd, amt=amt, cur=cur, inv=inv, notes=notes,
                          opts=opts))
    return add

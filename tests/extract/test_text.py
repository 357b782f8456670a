"""Tokens, sentences and quotation state of the extraction text layer."""

from bot.extract.text import paragraphs


def test_tokens_are_verbatim_offsets_and_paragraphs_are_lines() -> None:
    text = "Gov. Mike Pence said the U.S. would act.\n\n“We will,” he added. Then he left."
    paras = paragraphs(text)
    assert len(paras) == 2
    for paragraph in paras:
        for token in paragraph.tokens:
            assert text[token.start : token.end] == token.text
    words = [t.text for t in paras[0].tokens]
    assert "U.S." in words  # dotted abbreviation stays one token
    # "Gov." does not end a sentence; the first paragraph is one sentence
    assert {t.sentence for t in paras[0].tokens} == {0}
    second = paras[1].tokens
    assert second[-1].sentence == 1  # "Then he left." is a new sentence


def test_quote_state_covers_the_quoted_words_only() -> None:
    text = "He said \"we will win\" and left, adding ’''never'' again."
    tokens = paragraphs(text)[0].tokens
    inside = {t.text for t in tokens if t.in_quote and t.text.isalpha()}
    assert inside == {"we", "will", "win", "never"}


def test_unbalanced_quote_runs_to_the_paragraph_end_only() -> None:
    text = "“This never closes, he said\nNext paragraph is plain."
    first, second = paragraphs(text)
    assert all(t.in_quote for t in first.tokens)
    assert not any(t.in_quote for t in second.tokens)


def test_empty_and_blank_text_have_no_paragraphs() -> None:
    assert paragraphs("") == ()
    assert paragraphs("\n \n\t\n") == ()


def test_overlong_lines_are_cut_at_sentence_ends_without_losing_text() -> None:
    sentence = "Officials said the road was open. "
    text = sentence * 500
    paras = paragraphs(text)
    assert len(paras) > 1
    assert all(p.end - p.start <= 1500 for p in paras)
    words = [t.text for p in paras for t in p.tokens]
    assert words.count("said") == 500
    assert paras[1].tokens[0].text == "Officials"  # cut after a full stop, not inside a sentence

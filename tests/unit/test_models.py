from provenance.models import DigitalSourceType, Verdict, source_type_is_ai, worst_verdict


def test_exit_codes_are_the_contract() -> None:
    assert [v.exit_code for v in Verdict] == [0, 10, 11, 12, 13]


def test_worst_verdict_order() -> None:
    order = [
        Verdict.INVALID,
        Verdict.UNREADABLE,
        Verdict.NO_CREDENTIALS,
        Verdict.VALID_UNTRUSTED,
        Verdict.TRUSTED,
    ]
    for i, worse in enumerate(order):
        for better in order[i:]:
            assert worst_verdict([better, worse]) is worse
    assert worst_verdict([]) is Verdict.TRUSTED


def test_source_types_parse_uri_and_term() -> None:
    uri = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
    assert DigitalSourceType.parse(uri) is DigitalSourceType.TRAINED_ALGORITHMIC_MEDIA
    assert DigitalSourceType.parse("digitalCapture") is DigitalSourceType.DIGITAL_CAPTURE
    assert DigitalSourceType.parse("nonsense") is None
    assert source_type_is_ai("compositeWithTrainedAlgorithmicMedia")
    assert source_type_is_ai("algorithmicallyEnhanced")
    assert not source_type_is_ai("digitalCapture")
    assert not source_type_is_ai(None)

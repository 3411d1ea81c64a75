import cProfile, pstats, time
from tests.unit.services.conftest import Counter


def test_enroll_works(counter: Counter) -> None:
    counter.enroll()
    data = __import__("tests.unit.services.conftest", fromlist=["example"]).example("individual")
    data["subscriber"]["id_number"] = "140102199003071526"
    data["documents"][0]["number"] = "140102199003071526"
    data["subscriber"]["social_insurance_number"] = "140102199003071526"
    t = time.time()
    pr = cProfile.Profile(); pr.enable()
    counter.enroll(data, "SUB2")
    pr.disable()
    print("second", time.time() - t)
    pstats.Stats(pr).sort_stats("cumulative").print_stats(25)

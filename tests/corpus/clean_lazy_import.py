# expect: pass
# counters: py_blocks
# target: work
# why: stdlib modules imported lazily inside the function: a one-time cost on the first call


def work():
    import decimal
    import fractions
    import statistics

    prices = [decimal.Decimal("19.99"), decimal.Decimal("5.25"), decimal.Decimal("7.50")]
    total = sum(prices).quantize(decimal.Decimal("0.01"))
    ratio = fractions.Fraction(3, 7) + fractions.Fraction(2, 9)
    middle = statistics.median([4, 1, 7, 3, 9])
    return str(total), ratio, middle

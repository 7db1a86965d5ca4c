"""check.py judge_input judge_answer feedback_dir < the submission's output"""
import sys

feedback = sys.argv[3]


def reject(team, judge):
    with open(feedback + "teammessage.txt", "w") as f:
        f.write(team + "\n")
    with open(feedback + "judgemessage.txt", "w") as f:
        f.write(judge + "\n")
    sys.exit(43)


n = int(open(sys.argv[1]).read())
tokens = sys.stdin.read().split()
if len(tokens) != 1 or not tokens[0].isdigit():
    reject("print exactly one positive integer", f"output was {tokens[:3]}")
d = int(tokens[0])
if not 1 < d < n:
    reject("the divisor must be between 1 and n, both excluded", f"{d} for n = {n}")
if n % d:
    reject("that number does not divide n", f"{d} does not divide {n}")
sys.exit(42)

"""host.py judge_input judge_answer feedback_dir: talks with the submission (its stdout is our stdin)."""
import sys

secret = int(open(sys.argv[1]).read())
feedback = sys.argv[3]


def reject(message):
    with open(feedback + "teammessage.txt", "w") as f:
        f.write(message + "\n")
    sys.exit(43)


for question in range(10):
    line = sys.stdin.readline()
    if not line:
        reject("the program ended before guessing the number")
    parts = line.split()
    if len(parts) != 2 or parts[0] != "?" or not parts[1].lstrip("-").isdigit():
        reject(f"not a question: {line.strip()[:40]!r}")
    y = int(parts[1])
    if y == secret:
        print("=", flush=True)
        sys.exit(42)
    print("<" if secret < y else ">", flush=True)
reject("more than 10 questions")

for y in range(1, 1001):
    print("?", y, flush=True)
    if input().strip() == "=":
        break

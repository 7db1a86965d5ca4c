#include <cstdio>
int main() { long long n; scanf("%lld", &n); for (long long d = 2;; d++) if (n % d == 0) { printf("%lld\n", d); return 0; } }

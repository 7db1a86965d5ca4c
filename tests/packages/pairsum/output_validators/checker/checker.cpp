#include <cstdlib>
#include <iostream>
#include "checker.h"

// checker judge_input judge_answer feedback_dir < the submission's output
int main(int argc, char** argv) {
    if (argc < 4) return 1;
    feedback_dir = argv[3];
    std::ifstream input(argv[1]);
    long long n;
    input >> n;
    long long a, b;
    if (!(std::cin >> a >> b)) { team_message("expected two integers"); return 43; }
    std::string extra;
    if (std::cin >> extra) { team_message("more output than two integers"); return 43; }
    if (a < 1 || b < 1) { team_message("both numbers must be positive"); return 43; }
    if (a + b != n) { judge_message("sum " + std::to_string(a + b) + " instead of " + std::to_string(n)); team_message("the two numbers do not add up to n"); return 43; }
    return 42;
}

#include <iostream>
#include <string>
int main() {
    int lo = 1, hi = 1000;
    for (;;) {
        int mid = (lo + hi) / 2;
        std::cout << "? " << mid << std::endl;
        std::string answer;
        std::cin >> answer;
        if (answer == "=") return 0;
        if (answer == "<") hi = mid - 1; else lo = mid + 1;
    }
}

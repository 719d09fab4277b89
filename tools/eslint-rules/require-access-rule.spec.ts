import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import rule from './require-access-rule';

const tester = new RuleTester({ languageOptions: { parser: tseslint.parser } });

// RuleTester declares its own describe/it blocks: one per case.
tester.run('require-access-rule', rule, {
  valid: [
    `@Controller('a') class A { @Get() @Public() list() {} @Post() @Roles('admin') create() {} @Get(':id') @Authenticated() one() {} }`,
    `@Authenticated() @Controller('b') class B { @Get() list() {} }`,
    `@Controller('c') class C { helper() {} }`,
    `class NotAController { @Get() list() {} }`,
  ],
  invalid: [
    {
      code: `@Controller('d') class D { @Get() @Public() ok() {} @Delete(':id') remove() {} }`,
      errors: [{ messageId: 'missing', data: { name: 'remove' } }],
    },
    {
      code: `@Controller('e') class E { @Post() create() {} }`,
      errors: [{ messageId: 'missing', data: { name: 'create' } }],
    },
  ],
});

console.log('refdata');
